import { Migration } from '@mikro-orm/migrations';

export class Migration20261207155856 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "run_results" ("id" serial primary key, "run_id" varchar(64) not null, "architecture_hash" varchar(64) not null, "experiment_id" varchar(64) not null, "dataset" varchar(32) not null, "threat_norm" varchar(8) not null, "threat_epsilon" double precision not null, "attack" varchar(32) not null, "params" bigint not null, "robust_accuracy" double precision not null, "clean_accuracy" double precision not null);`,
    );
    this.addSql(
      `create index "run_results_dataset_threat_norm_attack_threat_epsi_8b9de_index" on "run_results" ("dataset", "threat_norm", "attack", "threat_epsilon", "params");`,
    );
    this.addSql(
      `alter table "run_results" add constraint "run_results_run_id_architecture_hash_dataset_thre_ffeec_unique" unique ("run_id", "architecture_hash", "dataset", "threat_norm", "threat_epsilon", "attack");`,
    );

    this.addSql(
      `create table "architecture_results" ("id" serial primary key, "architecture_hash" varchar(64) not null, "dataset" varchar(32) not null, "threat_norm" varchar(8) not null, "threat_epsilon" double precision not null, "attack" varchar(32) not null, "team_id" varchar(64) null, "params" bigint not null, "run_id" varchar(64) not null, "robust_accuracy" double precision not null, "clean_accuracy" double precision not null, "first_run_id" varchar(64) not null);`,
    );
    this.addSql(
      `create index "architecture_results_dataset_threat_norm_attack_th_0d9e3_index" on "architecture_results" ("dataset", "threat_norm", "attack", "threat_epsilon", "params");`,
    );

    this.addSql(
      `alter table "run_results" add constraint "run_results_run_id_foreign" foreign key ("run_id") references "runs" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "run_results" add constraint "run_results_architecture_hash_foreign" foreign key ("architecture_hash") references "architectures" ("hash") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "run_results" add constraint "run_results_experiment_id_foreign" foreign key ("experiment_id") references "experiments" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "architecture_results" add constraint "architecture_results_architecture_hash_foreign" foreign key ("architecture_hash") references "architectures" ("hash") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "architecture_results" add constraint "architecture_results_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`,
    );
    // Fill both from the evaluations already stored (results/run-results.ts writes the same rows).
    for (const [attack, groupBy] of [
      [`''`, ''],
      ['e.attack', ', e.attack'],
    ]) {
      this.addSql(
        `insert into run_results (run_id, architecture_hash, experiment_id, dataset, threat_norm, threat_epsilon, attack, params, robust_accuracy, clean_accuracy) ` +
          `select e.run_id, e.architecture_hash, r.experiment_id, e.dataset, e.threat_norm, e.threat_epsilon, ${attack}, a.params, min(e.robust_accuracy), max(e.clean_accuracy) ` +
          `from evaluations e join runs r on r.id = e.run_id join architectures a on a.hash = e.architecture_hash ` +
          `group by e.run_id, e.architecture_hash, r.experiment_id, e.dataset, e.threat_norm, e.threat_epsilon, a.params${groupBy};`,
      );
    }
    const team = `case when x.visibility = 'PUBLIC' then null else x.team_id end`;
    const group = `s.architecture_hash, s.dataset, s.threat_norm, s.threat_epsilon, s.attack, ${team}`;
    this.addSql(
      `insert into architecture_results (architecture_hash, dataset, threat_norm, threat_epsilon, attack, team_id, params, run_id, robust_accuracy, clean_accuracy, first_run_id) ` +
        `select architecture_hash, dataset, threat_norm, threat_epsilon, attack, team_id, params, run_id, robust_accuracy, clean_accuracy, first_run_id from (` +
        `select s.architecture_hash, s.dataset, s.threat_norm, s.threat_epsilon, s.attack, ${team} as team_id, s.params, s.run_id, s.robust_accuracy, s.clean_accuracy, ` +
        `row_number() over (partition by ${group} order by s.robust_accuracy desc, s.clean_accuracy desc, s.run_id) as place, ` +
        `min(s.run_id) over (partition by ${group}) as first_run_id ` +
        `from run_results s join experiments x on x.id = s.experiment_id) ranked where place = 1;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "run_results" cascade;`);

    this.addSql(`drop table if exists "architecture_results" cascade;`);
  }
}
