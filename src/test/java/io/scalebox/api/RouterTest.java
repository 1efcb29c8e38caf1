package io.scalebox.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterTest {
    private static final Handler NONE = r -> Response.json(new byte[0]);

    @Test
    void segmentsDropTheLeadingAndOneTrailingSlash() {
        assertEquals(List.of(), Router.segments("/"));
        assertEquals(List.of(), Router.segments("//"));
        assertEquals(List.of("vms"), Router.segments("/vms/"));
        assertEquals(List.of("vms", ""), Router.segments("/vms//"));
        assertEquals(List.of("vms", "a", "start"), Router.segments("/vms/a/start"));
        assertEquals(List.of("a", "", "b"), Router.segments("/a//b"));
    }

    @Test
    void findsTheRouteWithItsParametersOrTellsWhatIsAllowed() {
        Router router = new Router(List.of(Route.open("GET", "/health", NONE), Route.authenticated("GET", "/vms/{id}", NONE),
                Route.authenticated("DELETE", "/vms/{id}", NONE)));
        Router.Match get = router.route("GET", "/vms/alpha");
        assertTrue(get.found());
        assertEquals(Map.of("id", "alpha"), get.params());
        Router.Match post = router.route("POST", "/vms/alpha");
        assertFalse(post.found());
        assertEquals(List.of("DELETE", "GET"), post.allowed());
        assertFalse(post.open(), "the token decides whether a caller learns the path exists");
        Router.Match unknown = router.route("GET", "/nope");
        assertFalse(unknown.found());
        assertEquals(List.of(), unknown.allowed());
        assertFalse(unknown.open());
        assertTrue(router.route("POST", "/health").open(), "a 405 on an open path needs no token");
        assertFalse(router.route("GET", "/vms/").found(), "{id} never matches an empty segment");
    }
}
