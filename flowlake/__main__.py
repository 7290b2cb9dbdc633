from flowlake.cli import main

main()
