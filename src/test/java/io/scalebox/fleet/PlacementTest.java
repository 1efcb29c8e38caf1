package io.scalebox.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PlacementTest {
    private static final Placement.Shape SMALL = new Placement.Shape("debian-base", 1, 256, 1L << 30);

    private static FleetHost host(String id, FleetHost.Status status, int vcpus, long memAllocated, String... templates) {
        List<JsonObject> t = new ArrayList<>();
        for (String name : templates) {
            JsonObject o = new JsonObject();
            o.addProperty("name", name);
            t.add(o);
        }
        return new FleetHost(id, id, "http://" + id + ":8080", "0.2.0", status,
                new Load(8, 32_768, 30_000, vcpus, memAllocated, 500L << 30, vcpus), t, 0);
    }

    @Test
    void onlyReadyHostsWithTheTemplateAndRoom() {
        List<FleetHost> hosts = List.of(
                host("ready", FleetHost.Status.READY, 0, 0, "debian-base"),
                host("draining", FleetHost.Status.DRAINING, 0, 0, "debian-base"),
                host("gone", FleetHost.Status.UNREACHABLE, 0, 0, "debian-base"),
                host("other", FleetHost.Status.READY, 0, 0, "ubuntu"),
                host("full", FleetHost.Status.READY, 0, 32_500, "debian-base"));
        List<FleetHost> ranked = new Placement(3, new Random(1)).rank(hosts, SMALL);
        assertEquals(List.of("ready"), ranked.stream().map(FleetHost::id).toList());
    }

    @Test
    void withKOrFewerHostsTheLeastLoadedComesFirst() {
        List<FleetHost> hosts = List.of(
                host("busy", FleetHost.Status.READY, 6, 6_000, "debian-base"),
                host("idle", FleetHost.Status.READY, 0, 0, "debian-base"),
                host("some", FleetHost.Status.READY, 2, 2_000, "debian-base"));
        for (int seed = 0; seed < 20; seed++) {
            List<FleetHost> ranked = new Placement(3, new Random(seed)).rank(hosts, SMALL);
            assertEquals(List.of("idle", "some", "busy"), ranked.stream().map(FleetHost::id).toList());
        }
    }

    @Test
    void everyFittingHostIsACandidateSoARefusalHasFallbacks() {
        List<FleetHost> hosts = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            hosts.add(host("h" + i, FleetHost.Status.READY, i % 4, 0, "debian-base"));
        }
        assertEquals(10, new Placement(3, new Random(7)).rank(hosts, SMALL).size());
    }

    /**
     * E2B's method: 1,000 creates on 50 hosts that publish their load after each placement;
     * the spread of VMs per host (coefficient of variation) stays low with K=3.
     */
    @Test
    void bestOfThreeSpreadsAThousandCreates() {
        int n = 50;
        int[] vms = new int[n];
        Placement placement = new Placement(3, new Random(42));
        for (int create = 0; create < 1000; create++) {
            List<FleetHost> hosts = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                hosts.add(host("h" + i, FleetHost.Status.READY, vms[i], vms[i] * 256L, "debian-base"));
            }
            String chosen = placement.rank(hosts, SMALL).get(0).id();
            vms[Integer.parseInt(chosen.substring(1))]++;
        }
        double mean = 1000.0 / n;
        double var = 0;
        for (int v : vms) {
            var += (v - mean) * (v - mean) / n;
        }
        double cv = Math.sqrt(var) / mean;
        System.out.printf("placement: 1000 creates on %d hosts, K=3: VMs per host CV %.3f%n", n, cv);
        assertTrue(cv < 0.2, "coefficient of variation " + cv);
    }
}
