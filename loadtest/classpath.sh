# Sourced by loadtest/launch-minute and loadtest/report: builds the project and resolves the
# classpaths of the rehearsal tool (the loadtest module) and of Gatling (the simulations).
# LOADTEST_SKIP_BUILD=1 uses the last build as it is: for injectors started together on one
# machine, after one build (two Maven builds of one checkout at once would trip over each other).
tool_cp="$root/loadtest/target/bench.classpath"
gatling_cp="$root/loadtest/gatling/target/gatling.classpath"
if [ "${LOADTEST_SKIP_BUILD:-}" != 1 ] || [ ! -f "$tool_cp" ] || [ ! -f "$gatling_cp" ]; then
  mvn -B -q -f "$root/pom.xml" -DskipTests install >&2
  mvn -B -q -f "$root/pom.xml" -pl loadtest dependency:build-classpath -Dmdep.outputFile="$tool_cp" >&2
  mvn -B -q -f "$root/pom.xml" -pl loadtest/gatling dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$gatling_cp" >&2
fi
tool_classpath="$root/loadtest/target/classes:$(cat "$tool_cp")"
gatling_classpath="$root/loadtest/gatling/target/test-classes:$(cat "$gatling_cp")"
