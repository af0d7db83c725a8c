"""``python -m sslrec_utils.cli`` (and ``torchrun -m sslrec_utils.cli``): the ``sslrec`` command."""

from sslrec_utils.cli import run

if __name__ == "__main__":
    run()
