package dev.bulwark.launcher.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.bulwark.config.SpecWriter;
import dev.bulwark.config.model.PosixRlimit;
import dev.bulwark.config.model.Spec;
import dev.bulwark.launcher.plan.BuiltInDefault;
import dev.bulwark.launcher.plan.Profile;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExecConfigTest {
    private static final Spec HARDENED = Profile.HARDENED.apply(BuiltInDefault.spec(0, 0, List.of("/bin/true")));

    @Test
    void theRecordReadsBackAsTheConfigTheInitRan() {
        ExecConfig written = ExecConfig.of(HARDENED, List.of(new PosixRlimit("RLIMIT_NPROC", 512, 512)), true);
        ExecConfig read = ExecConfig.fromJson(written.toJson(), "exec-config.json");
        assertEquals(written, read);
        assertTrue(read.hostUsrRoot());
        assertTrue(read.spec().process().rlimits().stream().anyMatch(l -> l.type().equals("RLIMIT_NPROC") && l.hard() == 512));
    }

    @Test
    void theStreamedRecordHoldsWhatTheConfigsTreeHolds() throws Exception {
        ExecConfig written = ExecConfig.of(HARDENED, List.of(), false);
        ObjectMapper json = new ObjectMapper();
        var node = json.readTree(written.toJson());
        assertEquals(false, node.get("hostUsrRoot").booleanValue());
        // as text: a tree made from the records holds longs where one read from text holds ints
        assertEquals(json.writeValueAsString(SpecWriter.toTree(written.spec())), json.writeValueAsString(node.get("config")));
    }
}
