// @ftune/trainer — The fine-tuning loop: AdamW, schedules, clipping, accumulation, checkpoints and exact resume.
