"""Code that runs inside the sandboxed child: loads old and new module versions side by side
and runs Hypothesis over the changed functions. Started as ``python -m guard.harness JOB``."""
