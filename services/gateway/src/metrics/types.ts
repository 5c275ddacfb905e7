// The GraphQL types of metric series: stored ones (metricSeries) and live batches (metricsAdded).
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType({ description: 'A point of a metric series.' })
export class MetricPoint {
  @Field(() => Int, { description: 'Step (batch or epoch, as the key says).' })
  step!: number;

  @Field(() => Float, { nullable: true, description: 'Value; null where it was not finite (a diverged loss).' })
  value!: number | null;

  @Field(() => Date, { description: 'When the worker produced it (the time of its event).' })
  time!: Date;
}

@ObjectType({ description: 'A metric of a run, thinned server-side to the points a chart needs.' })
export class MetricSeries {
  @Field(() => String, { description: 'Metric key, e.g. train/loss.' })
  key!: string;

  @Field(() => Int, { description: 'Points stored for the key, before thinning.' })
  totalPoints!: number;

  @Field(() => [MetricPoint], { description: 'At most maxPoints points: first, last and each bucket’s extremes.' })
  points!: MetricPoint[];
}

@ObjectType({ description: 'New points of one metric, as they arrived (thinned to 200 per batch).' })
export class MetricBatch {
  @Field(() => String, { description: 'Metric key.' })
  key!: string;

  @Field(() => [MetricPoint], { description: 'The points, by step.' })
  points!: MetricPoint[];
}

@ObjectType({ description: 'Metric points a run reported, one message per stored batch.' })
export class MetricsAdded {
  @Field(() => ID, { description: 'The run.' })
  runId!: string;

  @Field(() => [MetricBatch], { description: 'New points per key.' })
  series!: MetricBatch[];
}
