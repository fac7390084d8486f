// @ftune/train-jobs — training jobs outside any Kafka message: the job records of the artifact store,
// the runners that start them (a child process locally, a Kubernetes Job in the cluster) and the body
// of one job attempt (`ftune train-job`).
export * from './job-runner';
export * from './k8s-job-runner';
export * from './messages';
export * from './train-job-main';
export * from './train-jobs';
