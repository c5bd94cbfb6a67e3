from pagetoken.cli import main

main()
