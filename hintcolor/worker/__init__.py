"""The worker GIMP talks to (``hintcolor serve``): its server, client, wire pixels and memory policy."""
