"""The colorization engines: the siggraph17 network (its model and weights) and hint propagation."""
