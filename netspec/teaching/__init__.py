"""Teaching tools built on the analysis: the worked solution of a spec (:mod:`.explain`), the
calculators for the notes' exercises (:mod:`.solve`) and pictures of what a trained network
sees (:mod:`.visualize`, which loads torch and pillow inside its functions)."""
