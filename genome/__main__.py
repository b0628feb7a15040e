import sys

from genome.cli import main

sys.exit(main())
