import { Migration } from '@mikro-orm/migrations';

export class Migration20261207071039 extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table \`runs\` add column \`event_key\` text null;`);
  }
}
