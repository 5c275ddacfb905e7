// The fields of an Evaluation and an Architecture that are not plain columns of their rows.
import { Ctx, FieldResolver, ID, Resolver, Root } from 'type-graphql';
import { firstReadableFinding } from '../auth/readable.js';
import type { GatewayContext } from '../graphql/context.js';
import { TouchesStorage } from '../graphql/limits.js';
import { ThreatModel, threatModelOf } from '../graphql/threat-model.js';
import * as rows from '../persistence/entities/index.js';
import { Run } from '../runs/types.js';
import type { EvaluationView } from './queries.js';
import { Architecture, Evaluation } from './types.js';

@Resolver(() => Evaluation)
export class EvaluationFields {
  @FieldResolver(() => ID, { description: 'Evaluation id.' })
  id(@Root() evaluation: EvaluationView): string {
    return String(evaluation.id);
  }

  @FieldResolver(() => ThreatModel, { description: 'Threat model the attack was bounded by.' })
  threatModel(@Root() evaluation: EvaluationView): ThreatModel {
    return threatModelOf(evaluation);
  }

  @FieldResolver(() => Architecture, { description: 'The architecture attacked.' })
  architecture(@Root() evaluation: EvaluationView, @Ctx() { em }: GatewayContext) {
    return em.findOneOrFail(rows.Architecture, { hash: evaluation.architecture.hash });
  }

  @FieldResolver(() => Run, { description: 'The run that produced it (an EVALUATE run’s parent is the trained run).' })
  run(@Root() evaluation: EvaluationView, @Ctx() { em }: GatewayContext) {
    return em.findOneOrFail(rows.Run, evaluation.run.id);
  }
}

@Resolver(() => Architecture)
export class ArchitectureFields {
  @TouchesStorage()
  @FieldResolver(() => Run, {
    nullable: true,
    description: 'The first run you may read (your team’s, or a public one) that reported it; null when none did.',
  })
  async originRun(@Root() architecture: rows.Architecture, @Ctx() { em, viewer }: GatewayContext) {
    return (await firstReadableFinding(em, viewer, architecture.hash))?.run ?? null;
  }

  @TouchesStorage()
  @FieldResolver(() => Date, {
    nullable: true,
    description:
      'When a run you may read first reported it; null when none did. Another team’s private finding is not shown.',
  })
  async createdAt(@Root() architecture: rows.Architecture, @Ctx() { em, viewer }: GatewayContext) {
    const finding = await firstReadableFinding(em, viewer, architecture.hash);
    if (finding) return finding.foundAt;
    // No run reported it (the origin's experiment was deleted): its first sighting is no one's.
    return (await em.count(rows.ArchitectureFinding, { architecture: { hash: architecture.hash } })) === 0
      ? architecture.createdAt
      : null;
  }
}
