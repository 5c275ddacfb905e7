import { Migration } from '@mikro-orm/migrations';

export class Migration20261126133615 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "teams" ("id" varchar(64) not null, "name" varchar(200) not null, "created_at" timestamptz not null, constraint "teams_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "teams" add constraint "teams_name_unique" unique ("name");`);

    this.addSql(
      `create table "experiments" ("id" varchar(64) not null, "team_id" varchar(64) not null, "name" varchar(200) not null, "description" text null, "dataset" varchar(32) not null, "threat_norm" varchar(8) not null, "threat_epsilon" double precision not null, "parameter_budget" bigint null, "tags" jsonb not null, "visibility" varchar(16) not null default 'PRIVATE', "archived_at" timestamptz null, "created_at" timestamptz not null, constraint "experiments_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "experiments_dataset_index" on "experiments" ("dataset");`);

    this.addSql(
      `create table "runs" ("id" varchar(64) not null, "experiment_id" varchar(64) not null, "kind" varchar(16) not null, "status" varchar(16) not null default 'QUEUED', "stage" varchar(16) null, "config" jsonb not null, "seed" int not null, "parent_id" varchar(64) null, "tags" jsonb not null, "worker_id" varchar(64) null, "backend" varchar(32) null, "attempts" int not null default 0, "last_attempt" int not null default 0, "last_seq" int not null default -1, "progress" jsonb null, "architecture_hash" varchar(64) null, "error" jsonb null, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, "last_event_at" timestamptz null, constraint "runs_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "runs_status_index" on "runs" ("status");`);
    this.addSql(`create index "runs_experiment_id_created_at_index" on "runs" ("experiment_id", "created_at");`);

    this.addSql(
      `create table "run_status_changes" ("id" serial primary key, "run_id" varchar(64) not null, "status" varchar(16) not null, "stage" varchar(16) null, "attempt" int not null, "at" timestamptz not null, "message" text null);`,
    );
    this.addSql(`create index "run_status_changes_run_id_at_index" on "run_status_changes" ("run_id", "at");`);

    this.addSql(
      `create table "metric_points" ("id" serial primary key, "run_id" varchar(64) not null, "key" varchar(128) not null, "step" int not null, "value" double precision null, "time" timestamptz not null);`,
    );
    this.addSql(
      `alter table "metric_points" add constraint "metric_points_run_id_key_step_unique" unique ("run_id", "key", "step");`,
    );

    this.addSql(
      `create table "artifacts" ("id" serial primary key, "run_id" varchar(64) not null, "kind" varchar(16) not null, "name" varchar(200) not null, "digest" varchar(200) not null, "size" bigint not null, "stage" varchar(16) null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "artifacts" add constraint "artifacts_run_id_name_unique" unique ("run_id", "name");`);

    this.addSql(
      `create table "architectures" ("hash" varchar(64) not null, "genotype" jsonb not null, "params" bigint not null, "flops" bigint null, "channels" int not null, "layers" int not null, "classes" int not null, "origin_run_id" varchar(64) null, "created_at" timestamptz not null, constraint "architectures_pkey" primary key ("hash"));`,
    );

    this.addSql(
      `create table "evaluations" ("id" serial primary key, "architecture_hash" varchar(64) not null, "run_id" varchar(64) not null, "dataset" varchar(32) not null, "attack" varchar(32) not null, "attack_settings" jsonb not null, "threat_norm" varchar(8) not null, "threat_epsilon" double precision not null, "examples" int not null, "seed" int not null, "clean_accuracy" double precision not null, "robust_accuracy" double precision not null, "backend" varchar(32) not null, "engine_version" varchar(32) not null, "settings_key" varchar(400) not null, "created_at" timestamptz not null);`,
    );
    this.addSql(
      `create index "evaluations_dataset_threat_norm_threat_epsilon_rob_40a66_index" on "evaluations" ("dataset", "threat_norm", "threat_epsilon", "robust_accuracy");`,
    );
    this.addSql(
      `alter table "evaluations" add constraint "evaluations_run_id_settings_key_unique" unique ("run_id", "settings_key");`,
    );

    this.addSql(
      `create table "api_keys" ("id" varchar(64) not null, "team_id" varchar(64) not null, "name" varchar(200) not null, "prefix" varchar(16) not null, "secret_hash" varchar(64) not null, "created_at" timestamptz not null, "revoked_at" timestamptz null, "last_used_at" timestamptz null, constraint "api_keys_pkey" primary key ("id"));`,
    );
    this.addSql(`alter table "api_keys" add constraint "api_keys_prefix_unique" unique ("prefix");`);

    this.addSql(
      `alter table "experiments" add constraint "experiments_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "runs" add constraint "runs_experiment_id_foreign" foreign key ("experiment_id") references "experiments" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "runs" add constraint "runs_parent_id_foreign" foreign key ("parent_id") references "runs" ("id") on update cascade on delete set null;`,
    );
    this.addSql(
      `alter table "runs" add constraint "runs_architecture_hash_foreign" foreign key ("architecture_hash") references "architectures" ("hash") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "run_status_changes" add constraint "run_status_changes_run_id_foreign" foreign key ("run_id") references "runs" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "metric_points" add constraint "metric_points_run_id_foreign" foreign key ("run_id") references "runs" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "artifacts" add constraint "artifacts_run_id_foreign" foreign key ("run_id") references "runs" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "architectures" add constraint "architectures_origin_run_id_foreign" foreign key ("origin_run_id") references "runs" ("id") on update cascade on delete set null;`,
    );

    this.addSql(
      `alter table "evaluations" add constraint "evaluations_architecture_hash_foreign" foreign key ("architecture_hash") references "architectures" ("hash") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "evaluations" add constraint "evaluations_run_id_foreign" foreign key ("run_id") references "runs" ("id") on update cascade on delete cascade;`,
    );

    this.addSql(
      `alter table "api_keys" add constraint "api_keys_team_id_foreign" foreign key ("team_id") references "teams" ("id") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "experiments" drop constraint "experiments_team_id_foreign";`);

    this.addSql(`alter table "api_keys" drop constraint "api_keys_team_id_foreign";`);

    this.addSql(`alter table "runs" drop constraint "runs_experiment_id_foreign";`);

    this.addSql(`alter table "runs" drop constraint "runs_parent_id_foreign";`);

    this.addSql(`alter table "run_status_changes" drop constraint "run_status_changes_run_id_foreign";`);

    this.addSql(`alter table "metric_points" drop constraint "metric_points_run_id_foreign";`);

    this.addSql(`alter table "artifacts" drop constraint "artifacts_run_id_foreign";`);

    this.addSql(`alter table "architectures" drop constraint "architectures_origin_run_id_foreign";`);

    this.addSql(`alter table "evaluations" drop constraint "evaluations_run_id_foreign";`);

    this.addSql(`alter table "runs" drop constraint "runs_architecture_hash_foreign";`);

    this.addSql(`alter table "evaluations" drop constraint "evaluations_architecture_hash_foreign";`);

    this.addSql(`drop table if exists "teams" cascade;`);

    this.addSql(`drop table if exists "experiments" cascade;`);

    this.addSql(`drop table if exists "runs" cascade;`);

    this.addSql(`drop table if exists "run_status_changes" cascade;`);

    this.addSql(`drop table if exists "metric_points" cascade;`);

    this.addSql(`drop table if exists "artifacts" cascade;`);

    this.addSql(`drop table if exists "architectures" cascade;`);

    this.addSql(`drop table if exists "evaluations" cascade;`);

    this.addSql(`drop table if exists "api_keys" cascade;`);
  }
}
