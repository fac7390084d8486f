// @ftune/bias-audit — Bias audits of datasets and models, fairness metrics, mitigations and a release gate.
