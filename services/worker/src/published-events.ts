import type { RunEvent } from '@lrnas/schema';
import type { EventSink } from '@lrnas/engine';
import type { EventBody, MetricPoint } from './event-publisher.js';

/**
 * What earlier deliveries of a run already put in the event stream. A redelivered job resumes from
 * its last checkpoint, which may lie before the last step the dead worker reported; the steps in
 * between are run again (the same way, from the same state and seed) but must not be reported
 * twice. Metric points count as published up to the highest step per key; epoch summaries,
 * snapshots, genotypes and evaluations by what they describe. Status, log and artifact events are
 * never held back: they describe this delivery, or are replacements by name.
 */
export class PublishedEvents {
  readonly #lastStep = new Map<string, number>();
  readonly #described = new Set<string>();

  static of(events: Iterable<RunEvent>): PublishedEvents {
    const published = new PublishedEvents();
    for (const event of events) {
      if (event.type === 'metric') {
        for (const { key, step } of event.points) {
          published.#lastStep.set(key, Math.max(step, published.#lastStep.get(key) ?? -Infinity));
        }
      } else {
        const about = describe(event);
        if (about !== undefined) published.#described.add(about);
      }
    }
    return published;
  }

  /** True when nothing was published before. */
  get empty(): boolean {
    return this.#lastStep.size === 0 && this.#described.size === 0;
  }

  /** The highest step published for a metric key, if any. */
  lastStep(key: string): number | undefined {
    return this.#lastStep.get(key);
  }

  /** The points of a batch that come after what was published. */
  unpublished(points: MetricPoint[]): MetricPoint[] {
    return points.filter((p) => p.step > (this.#lastStep.get(p.key) ?? -Infinity));
  }

  /** Whether an event (epoch summary, snapshot, genotype, evaluation) was published already. */
  has(body: EventBody): boolean {
    const about = describe(body);
    return about !== undefined && this.#described.has(about);
  }
}

/** An event sink that passes on only what `published` does not hold yet. */
export function withoutRepeats(sink: EventSink, published: PublishedEvents): EventSink {
  if (published.empty) return sink;
  return {
    emit: (body) => {
      if (!published.has(body)) sink.emit(body);
    },
    metric: (points) => sink.metric(published.unpublished(points)),
  };
}

/** What an event reports, for the kinds a resumed run may report again; undefined for the others. */
function describe(event: EventBody | RunEvent): string | undefined {
  switch (event.type) {
    case 'epoch':
      return `epoch ${event.stage} ${event.epoch}`;
    case 'snapshot':
      return `snapshot ${event.epoch}`;
    case 'genotype':
      return `genotype ${event.stage} ${event.epoch ?? '-'} ${event.final}`;
    case 'evaluation':
      return `evaluation ${JSON.stringify(event.attack)} ${event.threatModel.norm} ${event.threatModel.epsilon}`;
    default:
      return undefined;
  }
}
