"""`python -m ing2gw` runs the command line."""

from ing2gw.cli import entrypoint

if __name__ == "__main__":
    entrypoint()
