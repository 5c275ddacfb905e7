import { Migration } from '@mikro-orm/migrations';

export class Migration20261207170131 extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `alter table "runs" add column "source" varchar(8) not null default 'WORKER', add column "name" varchar(200) null, add column "logged_by" varchar(200) null, add column "client" varchar(100) null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql(
      `alter table "runs" drop column "source", drop column "name", drop column "logged_by", drop column "client";`,
    );
  }
}
