"""Exceptions whose message is meant for the user: one line saying what is wrong and what to do."""


class HintcolorError(Exception):
    """Base class: the command line prints ``str(error)`` alone (no traceback) and exits 2."""


class WeightsError(HintcolorError):
    """Network weights missing, unreadable, corrupt or not a siggraph17 state_dict."""


class InputError(HintcolorError):
    """An image, a hint or an option that cannot be used as given."""
