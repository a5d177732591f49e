"""guard's own rules: one rule per module. Shipped as the package ``guard.rules``."""

if __name__ != "guard.rules":
    # This directory is also reachable as a top-level `rules` package from a checkout; code that
    # imports it that way breaks as soon as guard is installed. Fail loudly, here, instead.
    raise ImportError(
        f"guard's rules were imported as {__name__!r}: import them as guard.rules.<module> "
        "(e.g. `from guard.rules._patch import ...`)"
    )
