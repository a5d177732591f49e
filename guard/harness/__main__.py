import sys

from guard.harness.runner import main

sys.exit(main(sys.argv[1:]))
