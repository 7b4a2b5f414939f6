"""Labels for the real-curve part and the rules that produce them (see :mod:`.rules`, :mod:`.real`)."""
