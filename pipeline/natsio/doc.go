// Package natsio connects the pipeline to NATS JetStream: a source reading a
// durable pull consumer, a sink publishing output records, a dead letter on
// a subject, and the publish function of the alert routes.
//
// The source acks a message only when the runner reports the record durable
// (pipeline.Record.Ack), so a worker that dies leaves its messages to be
// redelivered; several processes sharing one durable consumer split the
// stream between them. A message delivered more than MaxDeliveries times
// without an ack goes to the dead letter and is terminated.
//
//	nc, _ := nats.Connect(nats.DefaultURL)
//	js, _ := jetstream.New(nc)
//	src, err := natsio.OpenSource(ctx, js, natsio.SourceConfig{Stream: "FEEDBACK", Consumer: "vocal",
//		Input: pipeline.DefaultInputConfig(), DeadLetter: dl})
//	counts, err := pipeline.Run(ctx, pipeline.Until(src, stop), an, natsio.NewSink(js, "feedback.tagged"), opts)
package natsio
