package claimgate.bench;

import claimgate.admission.ClaimBody;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerResponse;

/**
 * The ceiling the benchmarks judge the gateway against, in a process of its own: Vert.x core
 * with one server per event loop, the request body read and parsed the way the gateway parses a
 * claim ({@link ClaimBody}), and a small JSON answer with as many headers as the gateway's.
 * Nothing else: no Redis, no routing, no contract.
 *
 * <pre>
 *   java -cp ... claimgate.bench.BareEndpoint PORT [EVENT_LOOPS]
 * </pre>
 */
public final class BareEndpoint extends VerticleBase {

  private final int port;

  BareEndpoint(int port) {
    this.port = port;
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    int loops = args.length > 1 ? Integer.parseInt(args[1]) : VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE;
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true).setEventLoopPoolSize(loops));
    vertx.deployVerticle(() -> new BareEndpoint(port), new DeploymentOptions().setInstances(loops)).await();
    System.out.println("bare endpoint listening on " + port);
  }

  @Override
  public Future<?> start() {
    return vertx.createHttpServer(new HttpServerOptions().setTcpNoDelay(true).setHttp2ClearTextEnabled(false))
        .requestHandler(request -> request.body().onSuccess(body -> {
          HttpServerResponse response = request.response();
          try {
            ClaimBody claim = ClaimBody.parse(body.getBytes());
            response.setStatusCode(202).putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .putHeader("Location", "/api/v1/claims/x")
                .putHeader("X-Content-Type-Options", "nosniff")
                .end(Buffer.buffer("{\"ticket\":\"").appendString(claim.citizenId())
                    .appendString("\",\"status\":\"queued\",\"position\":1,\"etaMs\":1}"));
          } catch (ClaimBody.Invalid e) {
            response.setStatusCode(400).end();
          }
        }))
        .listen(port);
  }
}
