import { Migration } from '@mikro-orm/migrations';

export class Migration20261126133615 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table \`teams\` (\`id\` text not null, \`name\` text not null, \`created_at\` datetime not null, primary key (\`id\`));`,
    );
    this.addSql(`create unique index \`teams_name_unique\` on \`teams\` (\`name\`);`);

    this.addSql(
      `create table \`experiments\` (\`id\` text not null, \`team_id\` text not null, \`name\` text not null, \`description\` text null, \`dataset\` text not null, \`threat_norm\` text not null, \`threat_epsilon\` double not null, \`parameter_budget\` bigint null, \`tags\` json not null, \`visibility\` text not null default 'PRIVATE', \`archived_at\` datetime null, \`created_at\` datetime not null, constraint \`experiments_team_id_foreign\` foreign key(\`team_id\`) references \`teams\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`experiments_team_id_index\` on \`experiments\` (\`team_id\`);`);
    this.addSql(`create index \`experiments_dataset_index\` on \`experiments\` (\`dataset\`);`);

    this.addSql(
      `create table \`runs\` (\`id\` text not null, \`experiment_id\` text not null, \`kind\` text not null, \`status\` text not null default 'QUEUED', \`stage\` text null, \`config\` json not null, \`seed\` integer not null, \`parent_id\` text null, \`tags\` json not null, \`worker_id\` text null, \`backend\` text null, \`attempts\` integer not null default 0, \`last_attempt\` integer not null default 0, \`last_seq\` integer not null default -1, \`progress\` json null, \`architecture_hash\` text null, \`error\` json null, \`created_at\` datetime not null, \`started_at\` datetime null, \`finished_at\` datetime null, \`last_event_at\` datetime null, constraint \`runs_experiment_id_foreign\` foreign key(\`experiment_id\`) references \`experiments\`(\`id\`) on delete cascade on update cascade, constraint \`runs_parent_id_foreign\` foreign key(\`parent_id\`) references \`runs\`(\`id\`) on delete set null on update cascade, constraint \`runs_architecture_hash_foreign\` foreign key(\`architecture_hash\`) references \`architectures\`(\`hash\`) on delete set null on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`runs_experiment_id_index\` on \`runs\` (\`experiment_id\`);`);
    this.addSql(`create index \`runs_status_index\` on \`runs\` (\`status\`);`);
    this.addSql(`create index \`runs_parent_id_index\` on \`runs\` (\`parent_id\`);`);
    this.addSql(`create index \`runs_architecture_hash_index\` on \`runs\` (\`architecture_hash\`);`);
    this.addSql(
      `create index \`runs_experiment_id_created_at_index\` on \`runs\` (\`experiment_id\`, \`created_at\`);`,
    );

    this.addSql(
      `create table \`run_status_changes\` (\`id\` integer not null primary key autoincrement, \`run_id\` text not null, \`status\` text not null, \`stage\` text null, \`attempt\` integer not null, \`at\` datetime not null, \`message\` text null, constraint \`run_status_changes_run_id_foreign\` foreign key(\`run_id\`) references \`runs\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`run_status_changes_run_id_index\` on \`run_status_changes\` (\`run_id\`);`);
    this.addSql(`create index \`run_status_changes_run_id_at_index\` on \`run_status_changes\` (\`run_id\`, \`at\`);`);

    this.addSql(
      `create table \`metric_points\` (\`id\` integer not null primary key autoincrement, \`run_id\` text not null, \`key\` text not null, \`step\` integer not null, \`value\` double null, \`time\` datetime not null, constraint \`metric_points_run_id_foreign\` foreign key(\`run_id\`) references \`runs\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`metric_points_run_id_index\` on \`metric_points\` (\`run_id\`);`);
    this.addSql(
      `create unique index \`metric_points_run_id_key_step_unique\` on \`metric_points\` (\`run_id\`, \`key\`, \`step\`);`,
    );

    this.addSql(
      `create table \`artifacts\` (\`id\` integer not null primary key autoincrement, \`run_id\` text not null, \`kind\` text not null, \`name\` text not null, \`digest\` text not null, \`size\` bigint not null, \`stage\` text null, \`created_at\` datetime not null, constraint \`artifacts_run_id_foreign\` foreign key(\`run_id\`) references \`runs\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`artifacts_run_id_index\` on \`artifacts\` (\`run_id\`);`);
    this.addSql(`create unique index \`artifacts_run_id_name_unique\` on \`artifacts\` (\`run_id\`, \`name\`);`);

    this.addSql(
      `create table \`architectures\` (\`hash\` text not null, \`genotype\` json not null, \`params\` bigint not null, \`flops\` bigint null, \`channels\` integer not null, \`layers\` integer not null, \`classes\` integer not null, \`origin_run_id\` text null, \`created_at\` datetime not null, constraint \`architectures_origin_run_id_foreign\` foreign key(\`origin_run_id\`) references \`runs\`(\`id\`) on delete set null on update cascade, primary key (\`hash\`));`,
    );
    this.addSql(`create index \`architectures_origin_run_id_index\` on \`architectures\` (\`origin_run_id\`);`);

    this.addSql(
      `create table \`evaluations\` (\`id\` integer not null primary key autoincrement, \`architecture_hash\` text not null, \`run_id\` text not null, \`dataset\` text not null, \`attack\` text not null, \`attack_settings\` json not null, \`threat_norm\` text not null, \`threat_epsilon\` double not null, \`examples\` integer not null, \`seed\` integer not null, \`clean_accuracy\` double not null, \`robust_accuracy\` double not null, \`backend\` text not null, \`engine_version\` text not null, \`settings_key\` text not null, \`created_at\` datetime not null, constraint \`evaluations_architecture_hash_foreign\` foreign key(\`architecture_hash\`) references \`architectures\`(\`hash\`) on delete cascade on update cascade, constraint \`evaluations_run_id_foreign\` foreign key(\`run_id\`) references \`runs\`(\`id\`) on delete cascade on update cascade);`,
    );
    this.addSql(`create index \`evaluations_architecture_hash_index\` on \`evaluations\` (\`architecture_hash\`);`);
    this.addSql(`create index \`evaluations_run_id_index\` on \`evaluations\` (\`run_id\`);`);
    this.addSql(
      `create index \`evaluations_dataset_threat_norm_threat_epsilon_robust_accuracy_index\` on \`evaluations\` (\`dataset\`, \`threat_norm\`, \`threat_epsilon\`, \`robust_accuracy\`);`,
    );
    this.addSql(
      `create unique index \`evaluations_run_id_settings_key_unique\` on \`evaluations\` (\`run_id\`, \`settings_key\`);`,
    );

    this.addSql(
      `create table \`api_keys\` (\`id\` text not null, \`team_id\` text not null, \`name\` text not null, \`prefix\` text not null, \`secret_hash\` text not null, \`created_at\` datetime not null, \`revoked_at\` datetime null, \`last_used_at\` datetime null, constraint \`api_keys_team_id_foreign\` foreign key(\`team_id\`) references \`teams\`(\`id\`) on delete cascade on update cascade, primary key (\`id\`));`,
    );
    this.addSql(`create index \`api_keys_team_id_index\` on \`api_keys\` (\`team_id\`);`);
    this.addSql(`create unique index \`api_keys_prefix_unique\` on \`api_keys\` (\`prefix\`);`);
  }
}
