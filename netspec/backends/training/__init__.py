"""`netspec train`: data fitted to a spec (:mod:`.data`) and the training loop (:mod:`.loop`)."""
