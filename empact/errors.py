"""UserError: a person's mistake, told as where, what and why (pages, API, CLI)."""


class UserError(Exception):
    """A mistake in what a person gave us; never a bug of ours.

    `problems` holds every problem found, each already naming its location,
    so that a file with ten mistakes is reported once, not ten times.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or []
        super().__init__(message)

    def __str__(self) -> str:
        if not self.problems:
            return self.args[0]
        return "\n".join([self.args[0], *(f"  {p}" for p in self.problems)])


def form_problems(form) -> list[str]:
    """Every error of a bound Django form, each as "field: why", for a UserError."""
    return [
        f"{name}: {message}" if name != "__all__" else message
        for name, errors in form.errors.items()
        for message in errors
    ]
