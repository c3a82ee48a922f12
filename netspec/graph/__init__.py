"""Building the network: a validated spec's short forms, defaults, repeats, groups and block uses
expanded into located nodes (:mod:`.builder`), with block arguments (:mod:`.blocks`), names and
references (:mod:`.scope`) and the PyTorch module names they imply (:mod:`.module_names`).
The result is a :class:`~.network.Network`, the one representation every later stage reads.
"""
