// @ftune/telemetry — OpenTelemetry setup loaded first by every app.
