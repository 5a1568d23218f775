/**
 * A small Sequelize 6 app: users own projects, projects have tasks, tasks have an assignee.
 * The types are those the issue names for Node ORMs: BOOLEAN (TINYINT(1) on SQLite), DATE,
 * DATEONLY, JSON, UUID keys, an INTEGER autoincrement key, FLOAT, BLOB; hasMany/belongsTo
 * with foreign keys. The same definitions run on SQLite and on PostgreSQL.
 */
import { DataTypes, type ModelStatic, type Model, type Sequelize } from "sequelize";

export interface AppModels {
  User: ModelStatic<Model>;
  Project: ModelStatic<Model>;
  Task: ModelStatic<Model>;
}

export function defineModels(sequelize: Sequelize): AppModels {
  const User = sequelize.define("User", {
    id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
    email: { type: DataTypes.STRING, allowNull: false, unique: true },
    name: DataTypes.STRING(80),
    isAdmin: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    birthday: DataTypes.DATEONLY,
    lastLoginAt: DataTypes.DATE,
    profile: DataTypes.JSON,
    score: DataTypes.FLOAT,
    avatar: DataTypes.BLOB,
  });
  const Project = sequelize.define("Project", {
    title: { type: DataTypes.STRING, allowNull: false },
    archived: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    settings: DataTypes.JSON,
    dueAt: DataTypes.DATE,
  });
  const Task = sequelize.define("Task", {
    id: { type: DataTypes.UUID, defaultValue: DataTypes.UUIDV4, primaryKey: true },
    title: { type: DataTypes.TEXT, allowNull: false },
    done: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    position: DataTypes.INTEGER,
  });
  User.hasMany(Project, { foreignKey: "ownerId", as: "projects" });
  Project.belongsTo(User, { foreignKey: "ownerId", as: "owner" });
  Project.hasMany(Task, { foreignKey: "projectId", as: "tasks" });
  Task.belongsTo(Project, { foreignKey: "projectId", as: "project" });
  User.hasMany(Task, { foreignKey: "assigneeId", as: "assigned" });
  Task.belongsTo(User, { foreignKey: "assigneeId", as: "assignee" });
  return { User, Project, Task };
}

/** Writes the data through the ORM (on SQLite): returns how many users are admins. */
export async function seed({ User, Project, Task }: AppModels): Promise<{ admins: number }> {
  let admins = 0;
  for (let u = 0; u < 12; u++) {
    const isAdmin = u % 4 === 0;
    if (isAdmin) admins++;
    const user = await User.create({
      email: `user${u}@example.com`,
      name: u === 3 ? "Zoë Ünïcode 🎉" : u === 5 ? null : `User ${u}`,
      isAdmin,
      birthday: u === 7 ? null : `19${70 + u}-0${1 + (u % 9)}-1${u % 10}`,
      lastLoginAt: u === 2 ? null : new Date(Date.UTC(2024, u % 12, 1 + u, 8, 30, 15, 123 + u)),
      profile: u === 4 ? null : { theme: u % 2 ? "dark" : "light", tags: ["a", `t${u}`], nested: { level: u, ok: u % 3 === 0, none: null }, ratio: 0.1 * u },
      score: u === 6 ? null : u * 1.25 - 3.5,
      avatar: u % 5 === 0 ? Buffer.from([0, 255, u, 10, 13]) : null,
    });
    for (let p = 0; p < (u % 3) + 1; p++) {
      const project = await Project.create({
        title: `Project ${u}.${p} — "quoted" \\ back`,
        ownerId: user.get("id"),
        archived: p === 2,
        settings: p === 1 ? [1, "two", { three: 3 }] : { color: `#${(u * 31 + p).toString(16).padStart(6, "0")}` },
        dueAt: p === 0 ? null : new Date(Date.UTC(2025, p, u + 1, 23, 59, 59, 999)),
      });
      for (let k = 0; k < 3; k++) {
        await Task.create({ title: `task ${k} of ${u}.${p}\nsecond line\ttab`, done: (u + k) % 2 === 0, position: k === 1 ? null : k * 10 + p, projectId: project.get("id"), assigneeId: k === 2 ? null : user.get("id") });
      }
    }
  }
  return { admins };
}
