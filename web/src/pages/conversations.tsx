import { ConversationList } from '../components/chat-list.js';
import { BubblesIcon } from '../components/chat-icons.js';
import './chat.css';

/** /chats: the conversation list; on a wide screen the thread pane beside it invites a pick. */
export default function Conversations() {
  return (
    <div className="chat-shell chat-shell-list">
      <ConversationList heading="h1" />
      <div className="chat-pick" aria-hidden="true">
        <div className="chat-pick-art">
          <BubblesIcon size={44} />
        </div>
        <p>Pick a conversation to read and reply.</p>
      </div>
    </div>
  );
}
