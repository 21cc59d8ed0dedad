import heapq


def schedule(steps):
    """Returns the steps in dependency order (ties broken alphabetically)."""
    for deps in steps.values():
        for dep in deps:
            if dep not in steps:
                raise KeyError(dep)
    waiting = {name: set(deps) for name, deps in steps.items()}
    users = {name: [] for name in steps}
    for name, deps in steps.items():
        for dep in deps:
            users[dep].append(name)
    ready = [name for name, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for user in users[name]:
            waiting[user].discard(name)
            if not waiting[user]:
                heapq.heappush(ready, user)
    if len(order) != len(steps):
        stuck = sorted(name for name in steps if name not in order)
        raise ValueError(f"dependency cycle through {stuck[0]}")
    return order
