package claimgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The deploy files parse and say what the operator's guide promises: a non-root image with a
 * health check; Redis with AOF, a replica and Sentinels, PostgreSQL, two gateways behind nginx and
 * two allocators; Kubernetes probes, autoscaling and disruption budgets. With a Docker Compose
 * client on the machine, {@code docker compose config} must accept the compose file.
 */
class DeployFilesTest {

  static final Path DEPLOY = Path.of("../deploy");

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Object o) {
    return (Map<String, Object>) o;
  }

  @Test
  @DisplayName("Dockerfile: a glibc JRE base (the native transport), non-root user, health check, the one jar")
  void dockerfile() throws IOException {
    String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
    assertThat(dockerfile).containsPattern("(?m)^FROM eclipse-temurin:25-jre-noble$").contains("-XX:+UseZGC")
        .containsPattern("(?m)^USER claimgate$").contains("HEALTHCHECK").contains("/health/live")
        .contains("claimgate.jar");
  }

  @Test
  @DisplayName("Dockerfile: its build stage copies every module the parent pom lists, so the image's build resolves them")
  void dockerfileCopiesEveryModule() throws IOException {
    String dockerfile = Files.readString(DEPLOY.resolve("Dockerfile"));
    String pom = Files.readString(Path.of("../pom.xml"));
    java.util.regex.Matcher modules = java.util.regex.Pattern.compile("<module>([^<]+)</module>").matcher(pom);
    List<String> listed = new ArrayList<>();
    while (modules.find()) {
      listed.add(modules.group(1));
    }
    assertThat(listed).isNotEmpty();
    for (String module : listed) {
      assertThat(dockerfile).as("the Dockerfile copies module %s (or its pom)", module)
          .containsPattern("(?m)^COPY " + java.util.regex.Pattern.quote(module) + "(/pom\\.xml)? ");
    }
  }

  @Test
  @DisplayName("compose: Redis AOF + replica + 3 Sentinels, PostgreSQL, 2 gateways behind nginx, 2 allocators, all configured")
  void compose() throws IOException {
    Map<String, Object> compose = map(new Yaml(new LoaderOptions()).load(Files.readString(DEPLOY.resolve("compose.yaml"))));
    Map<String, Object> services = map(compose.get("services"));
    assertThat(services).containsKeys("redis-primary", "redis-replica", "sentinel-1", "sentinel-2", "sentinel-3",
        "postgres", "gateway-1", "gateway-2", "allocator-1", "allocator-2", "nginx");
    assertThat(String.valueOf(map(services.get("redis-primary")).get("command"))).contains("--appendonly, yes");
    assertThat(String.valueOf(map(services.get("redis-replica")).get("command"))).contains("--replicaof");
    for (String role : List.of("gateway-1", "gateway-2", "allocator-1", "allocator-2")) {
      Map<String, Object> service = map(services.get(role));
      Map<String, Object> env = map(service.get("environment"));
      assertThat(env).as(role).containsKeys("CLAIMGATE_REDIS_URL", "CLAIMGATE_PG_URL", "CLAIMGATE_OPERATOR_TOKEN",
          "CLAIMGATE_CODE_KEY");
      assertThat(String.valueOf(env.get("CLAIMGATE_REDIS_URL"))).startsWith("redis-sentinel://");
      assertThat(String.valueOf(service.get("command"))).contains(role.substring(0, role.indexOf('-')));
    }
    String nginx = Files.readString(DEPLOY.resolve("nginx.conf"));
    assertThat(nginx).contains("server gateway-1:8080").contains("server gateway-2:8080")
        .contains("X-Forwarded-For").contains("proxy_buffering off");
  }

  @Test
  @DisplayName("docker compose config accepts the compose file (when a compose client is installed)")
  void composeConfig() throws Exception {
    List<String> client = composeClient();
    Assumptions.assumeTrue(client != null, "no docker compose client on this machine: compose config not checked");
    List<String> command = new ArrayList<>(client);
    command.addAll(List.of("-f", DEPLOY.resolve("compose.yaml").toString(), "config", "-q"));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("CLAIMGATE_OPERATOR_TOKEN", "token");
    builder.environment().put("CLAIMGATE_CODE_KEY", "1:AAAA");
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  static List<String> composeClient() throws Exception {
    for (List<String> candidate : List.of(List.of("docker", "compose"), List.of("docker-compose"))) {
      try {
        List<String> version = new ArrayList<>(candidate);
        version.add("version");
        Process p = new ProcessBuilder(version).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0) {
          return candidate;
        }
      } catch (IOException notInstalled) {
        // try the next client
      }
    }
    return null;
  }

  @Test
  @DisplayName("Kubernetes: gateway probes, HPA and PDB; 2 allocators with an HTTP liveness probe; a writable /tmp on read-only roots; every resource Kustomize names exists")
  void kubernetes() throws IOException {
    Map<String, Object> kustomization = map(new Yaml().load(Files.readString(DEPLOY.resolve("k8s/kustomization.yaml"))));
    List<Map<String, Object>> resources = new ArrayList<>();
    for (Object file : (List<?>) kustomization.get("resources")) {
      Path path = DEPLOY.resolve("k8s").resolve(String.valueOf(file));
      assertThat(path).exists();
      for (Object doc : new Yaml().loadAll(Files.readString(path))) {
        resources.add(map(doc));
      }
    }
    assertThat(resources).allSatisfy(r -> assertThat(r).containsKeys("apiVersion", "kind", "metadata"));
    Map<String, Object> gateway = find(resources, "Deployment", "claimgate-gateway");
    Map<String, Object> container = map(((List<?>) map(map(map(gateway.get("spec")).get("template")).get("spec"))
        .get("containers")).get(0));
    assertThat(container).containsKeys("readinessProbe", "livenessProbe", "resources");
    assertThat(String.valueOf(container.get("readinessProbe"))).contains("/health/ready");
    assertThat(map(find(resources, "HorizontalPodAutoscaler", "claimgate-gateway").get("spec")).get("minReplicas")).isEqualTo(2);
    find(resources, "PodDisruptionBudget", "claimgate-gateway");
    Map<String, Object> allocator = find(resources, "Deployment", "claimgate-allocator");
    assertThat(map(allocator.get("spec")).get("replicas")).isEqualTo(2);
    // the allocator's liveness asks its health server (a stuck leader is 503), not whether the process exists
    Map<String, Object> allocatorContainer = map(((List<?>) map(map(map(allocator.get("spec")).get("template")).get("spec"))
        .get("containers")).get(0));
    assertThat(String.valueOf(allocatorContainer.get("livenessProbe"))).contains("/health/live").doesNotContain("kill");
    // a read-only root needs a writable /tmp, where Netty unpacks its native transport
    for (Map<String, Object> role : List.of(container, allocatorContainer)) {
      assertThat(String.valueOf(map(role.get("securityContext")).get("readOnlyRootFilesystem"))).isEqualTo("true");
      assertThat(String.valueOf(role.get("volumeMounts"))).contains("mountPath=/tmp");
    }
    find(resources, "ConfigMap", "claimgate-campaigns");
    assertThat(map(find(resources, "Secret", "claimgate").get("stringData")))
        .containsKeys("CLAIMGATE_OPERATOR_TOKEN", "CLAIMGATE_CODE_KEY", "CLAIMGATE_PG_URL", "CLAIMGATE_REDIS_URL");
  }

  static Map<String, Object> find(List<Map<String, Object>> resources, String kind, String name) {
    return resources.stream()
        .filter(r -> kind.equals(r.get("kind")) && name.equals(map(r.get("metadata")).get("name")))
        .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name));
  }
}
