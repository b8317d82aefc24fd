import { useParams } from 'react-router';
import { ConversationList } from '../components/chat-list.js';
import { ThreadView } from '../components/chat-thread.js';
import './chat.css';

/** /chats/:conversationId: one conversation; on a wide screen the list stays beside it. */
export default function Thread() {
  const { conversationId = '' } = useParams();
  return (
    <div className="chat-shell chat-shell-thread">
      <ConversationList heading="h2" activeId={conversationId} />
      <ThreadView conversationId={conversationId} />
    </div>
  );
}
