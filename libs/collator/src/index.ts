// @ftune/collator — Language-modeling and completion-only collators with Hugging Face (trl 0.19.1) semantics.
