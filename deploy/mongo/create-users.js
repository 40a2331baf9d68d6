// Run once by the mongo image on a new data volume (docker-entrypoint-initdb.d), as the root user:
// one user per service, with readWrite on that service's database only (<CRM_DB_PREFIX>_<service>).
const prefix = process.env.CRM_DB_PREFIX || "crm";
for (const service of ["accounts", "customers", "feedback", "notifications"]) {
  const variable = service.toUpperCase() + "_MONGO_PASSWORD";
  const password = process.env[variable];
  if (!password) {
    throw new Error(variable + " is not set");
  }
  db.getSiblingDB("admin").createUser({
    user: service,
    pwd: password,
    roles: [{ role: "readWrite", db: prefix + "_" + service }],
  });
}
