"""``python -m urbansat``: the command line of the ``urbansat`` entry point."""

from urbansat.cli import main

if __name__ == "__main__":
    main()
