"""The PyTorch backend: the plan both forms share (:mod:`.plan`), the in-memory module
(:mod:`.module`), the emitted source (:mod:`.emit`) and where a model runs (:mod:`.device`)."""
