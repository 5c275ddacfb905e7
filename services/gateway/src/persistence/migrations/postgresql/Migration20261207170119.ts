import { Migration } from '@mikro-orm/migrations';

export class Migration20261207170119 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "results_version" ("id" int not null, "version" int not null, constraint "results_version_pkey" primary key ("id"));`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "results_version" cascade;`);
  }
}
