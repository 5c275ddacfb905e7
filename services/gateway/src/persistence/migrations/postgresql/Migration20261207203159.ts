import { Migration } from '@mikro-orm/migrations';

export class Migration20261207203159 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "study_rows" ("id" serial primary key, "study_id" varchar(64) not null, "run_id" varchar(64) not null, "key" varchar(120) not null, "dataset" varchar(32) not null, "arm" varchar(32) not null, "seed" int not null, "index" int not null, "architecture_hash" varchar(64) not null, "params" bigint not null, "flops" bigint not null, "channels" int not null, "layers" int not null, "clean_accuracy" double precision not null, "worst_case" double precision not null, "attacks" jsonb not null, "threat_norm" varchar(8) not null, "threat_epsilon" double precision not null, "examples" int not null, "seconds" double precision not null, "planned" int not null, "created_at" timestamptz not null);`,
    );
    this.addSql(`alter table "study_rows" add constraint "study_rows_run_id_unique" unique ("run_id");`);
    this.addSql(`create index "study_rows_study_id_id_index" on "study_rows" ("study_id", "id");`);
    this.addSql(`alter table "study_rows" add constraint "study_rows_study_id_key_unique" unique ("study_id", "key");`);

    this.addSql(
      `alter table "study_rows" add constraint "study_rows_study_id_foreign" foreign key ("study_id") references "runs" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "study_rows" add constraint "study_rows_run_id_foreign" foreign key ("run_id") references "runs" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "study_rows" add constraint "study_rows_architecture_hash_foreign" foreign key ("architecture_hash") references "architectures" ("hash") on update cascade on delete cascade;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "study_rows" cascade;`);
  }
}
