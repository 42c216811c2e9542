import sys

from rnnfast.cli import main

sys.exit(main())
