"""The flows, registered by name for the code below them: services start a flow by its name, and reads (my tasks,
the pool, the archive, the deadline sweep) ask what each flow's tasks are about.

`flows.flows` registers every flow when the app is ready (`flows.apps`), so nothing below it imports it: this
module sits at the bottom of the layers and imports nothing of the project.
"""

_FLOWS: dict[str, type] = {}


def flows_register(*flow_classes) -> None:
    """Called once by `flows.flows` when it is imported."""
    for cls in flow_classes:
        _FLOWS[cls.__name__] = cls


def flow_class(name: str):
    """The registered flow called `name` (e.g. "AssessmentFlow")."""
    return _FLOWS[name]


def registered_flows() -> tuple:
    return tuple(_FLOWS.values())
