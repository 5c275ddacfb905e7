import { Migration } from '@mikro-orm/migrations';

export class Migration20261207071039 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "runs" add column "event_key" varchar(64) null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "runs" drop column "event_key";`);
  }
}
