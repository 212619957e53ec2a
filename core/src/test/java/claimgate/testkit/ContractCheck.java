package claimgate.testkit;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.util.Map;
import java.util.Optional;

/**
 * Checks an answer against the HTTP contract the gateway ships ({@code openapi/claimgate.yaml}),
 * with Vert.x's OpenAPI response validator: its status must be one the operation lists by number
 * (not only through {@code default}), and its body must match that answer's schema. Paths outside the contract
 * (pages, health, metrics) and event streams are not checked.
 */
public final class ContractCheck {

  private static final String CONTRACT = "openapi/claimgate.yaml";
  private static volatile Optional<ContractCheck> loaded;

  private final OpenAPIContract contract;
  private final ResponseValidator validator;

  private ContractCheck(Vertx vertx, OpenAPIContract contract) {
    this.contract = contract;
    this.validator = ResponseValidator.create(vertx, contract);
  }

  /** The check, when the contract is on the classpath (a suite that runs a gateway has it). */
  public static Optional<ContractCheck> of() {
    if (loaded == null) {
      synchronized (ContractCheck.class) {
        if (loaded == null) {
          if (ContractCheck.class.getClassLoader().getResource(CONTRACT) == null) {
            loaded = Optional.empty();
          } else {
            Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
            loaded = Optional.of(new ContractCheck(vertx, OpenAPIContract.from(vertx, CONTRACT).await()));
          }
        }
      }
    }
    return loaded;
  }

  /** Fails with an {@link AssertionError} naming the route when the answer breaks the contract. */
  public void check(String method, String pathAndQuery, ApiClient.Reply reply) {
    try {
      check(method, pathAndQuery, reply.status(), reply.header("Content-Type"), reply.raw().body());
    } catch (RuntimeException wrapped) {
      if (wrapped.getCause() instanceof AssertionError broken) {
        throw broken;
      }
      throw wrapped;
    }
  }

  /** The same for an answer read by another client (status, content type, body text). */
  public void check(String method, String pathAndQuery, int status, String contentType, String body) {
    verdict(method, pathAndQuery, status, contentType, body).await();
  }

  /**
   * The media type the contract lists the answer under: its parameters dropped (the validator
   * knows {@code charset=utf-8} but not Prometheus' {@code version=0.0.4}).
   */
  private static String mediaType(String contentType) {
    if (contentType == null) {
      return "application/json";
    }
    int parameters = contentType.indexOf(';');
    return (parameters < 0 ? contentType : contentType.substring(0, parameters)).strip();
  }

  /**
   * The check without blocking, for a client on an event loop: completes, or fails with an
   * {@link AssertionError} naming the route. Call {@link #of()} once from the test's thread first.
   */
  public io.vertx.core.Future<Void> verdict(String method, String pathAndQuery, int status, String contentType,
      String body) {
    String raw = pathAndQuery.contains("?") ? pathAndQuery.substring(0, pathAndQuery.indexOf('?')) : pathAndQuery;
    // the path the gateway routes: its dot segments resolved (/a/../b is /b)
    String path;
    try {
      path = java.net.URI.create(raw).normalize().getRawPath();
    } catch (IllegalArgumentException notAUri) {
      path = raw;
    }
    Operation operation;
    try {
      operation = contract.findOperation(path, HttpMethod.valueOf(method));
    } catch (RuntimeException notInContract) {
      return io.vertx.core.Future.succeededFuture();
    }
    if (operation == null || (contentType != null && contentType.startsWith("text/event-stream"))) {
      return io.vertx.core.Future.succeededFuture();
    }
    String operationId = operation.getOperationId();
    if (operation.getResponse(status) == null) {
      // every status an operation can send is listed; `default` only describes the error body
      return io.vertx.core.Future.failedFuture(new AssertionError("the answer to " + method + " " + pathAndQuery
          + " breaks the contract (" + operationId + "): status " + status + " is not listed; answer " + body));
    }
    String mediaType = mediaType(contentType);
    boolean json = mediaType.equals("application/json") || mediaType.endsWith("+json");
    if (!json && body != null && !body.isEmpty()) {
      // text answers (metrics): the library validates only JSON bodies; the status and the media
      // type must still be the contract's
      io.vertx.openapi.contract.Response listed = operation.getResponse(status);
      // a media type the library cannot read is named in the answer's x-media-type
      if (listed == null || !(listed.getContent().containsKey(mediaType)
          || mediaType.equals(listed.getExtensions().get("x-media-type")))) {
        return io.vertx.core.Future.failedFuture(new AssertionError("the answer to " + method + " " + pathAndQuery
            + " breaks the contract (" + operationId + "): " + status + " " + contentType + " is not listed"));
      }
      return io.vertx.core.Future.succeededFuture();
    }
    ValidatableResponse response = body == null || body.isEmpty()
        ? ValidatableResponse.create(status, Map.of())
        : ValidatableResponse.create(status, Map.of(), Buffer.buffer(body), mediaType);
    return validator.validate(response, operationId).<Void>mapEmpty().recover(broken -> io.vertx.core.Future.failedFuture(
        new AssertionError("the answer to " + method + " " + pathAndQuery + " breaks the contract (" + operationId
            + "): " + broken.getMessage() + "; answer " + status + " " + body, broken)));
  }
}
