import sys

from bluelabel.cli import main

sys.exit(main())
