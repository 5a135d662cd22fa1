"""The ways a corpus program is run: natively, and under grove-run in four configurations."""
from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    name: str
    grove_args: tuple  # grove-run's options; None: natively

    @property
    def native(self):
        return self.grove_args is None

    def wrap(self, argv, grove_run):
        """The command line that runs `argv` in this mode."""
        if self.native:
            return list(argv)
        return [grove_run, *self.grove_args, "--", *argv]

    def describe(self):
        return "native" if self.native else "grove-run " + " ".join(self.grove_args)


NATIVE = Mode("native", None)
MODES = [
    NATIVE,
    Mode("w1", ("--workers", "1")),
    Mode("w2", ("--workers", "2")),
    Mode("fibers1", ("--threads", "fibers", "--workers", "1")),
    Mode("fibers2", ("--threads", "fibers", "--workers", "2")),
]
BY_NAME = {m.name: m for m in MODES}
# Names a known-differences line may use for several modes at once.
GROUPS = {"grove": ["w1", "w2", "fibers1", "fibers2"], "os": ["w1", "w2"], "fibers": ["fibers1", "fibers2"]}


def parse(names):
    """'native,w2' or 'all' -> [Mode]; an unknown name raises ValueError naming it."""
    result = []
    for name in names.split(","):
        if name == "all":
            result += MODES
        elif name in GROUPS:
            result += [BY_NAME[n] for n in GROUPS[name]]
        elif name in BY_NAME:
            result.append(BY_NAME[name])
        else:
            raise ValueError(f"unknown mode {name!r}: expected one of {', '.join(BY_NAME)}, "
                             f"{', '.join(GROUPS)} or all")
    return list(dict.fromkeys(result))
