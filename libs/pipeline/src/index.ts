// @ftune/pipeline — The pipeline stage handlers and the in-process event bus that runs them in order.
